"""Importing customers and orders from messy CSV files, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from analytics.importing import ImportInterrupted, import_customers, import_orders, list_merges, undo_merge
from crm_store.models import ChannelIdentity, Customer, CustomerMerge, Order, StageHistory

NOW = datetime(2026, 11, 18, 9, 0)
MESSY = """Full Name;E-Mail;Telephone;City;Customer since
  ANNA SCHMIDT ;Anna.Schmidt@Example.com;030 5550 1234;Berlin;2024-03-01
Ben Müller;ben.mueller@example.com;+49 89 5550 777;München;01.02.2023
anna schmidt;anna.s@work.example;;berlin;
Bad Email;not-an-email;;Hamburg;
Carla Rossi;carla@example.it;+39 06 5550 1234;Rome;2030-01-01
Ben Mueller;;+49 (89) 5550-777;Munich;
;;;;
Dora Weiss;dora@example.com;12;Berlin;
Emil Braun;emil@example.com;0170 5550 999;Hamburg;"3 March 2022"
"""


def write(tmp_path, text: str, name: str = "customers.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customers(uow_factory) -> list[tuple]:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        return [
            tuple(r)
            for r in uow.session.execute(
                select(Customer.name, Customer.email, Customer.phone, Customer.address).order_by(Customer.id)
            )
        ]


def count(uow_factory, model) -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_messy_file_is_cleaned_merged_and_reported(uow_factory, tmp_path):
    report = import_customers(uow_factory, write(tmp_path, MESSY), NOW, region="DE")

    assert customers(uow_factory) == [
        ("Anna Schmidt", "anna.schmidt@example.com", "+493055501234", "Berlin"),
        ("Ben Müller", "ben.mueller@example.com", "+49895550777", "München"),
        ("Emil Braun", "emil@example.com", "+491705550999", "Hamburg"),
    ]
    assert (report.rows, report.created, report.unchanged) == (8, 3, 0)  # the blank line is no row
    assert [(line, why) for line, _into, why in report.merged] == [(4, "close name and same city"), (7, "same phone")]
    assert report.bad == [
        (5, "email 'not-an-email' is not a valid address"),
        (9, "phone '12' is not a valid number for region DE"),
    ]
    assert report.flagged == [(6, "customer since 2030-01-01 is in the future")]
    assert report.missing == {"email": 1, "phone": 1}
    # Anna's second address is kept as an identity of the one Anna.
    uow = uow_factory()
    with uow:
        ids = uow.session.execute(select(ChannelIdentity.channel, ChannelIdentity.external_id)).all()
        created = uow.session.scalar(select(Customer.created_at).where(Customer.email == "emil@example.com"))
    assert [tuple(i) for i in ids] == [("email", "anna.s@work.example")]
    assert created == datetime(2022, 3, 3)
    assert [m.source for m in list_merges(uow_factory(), report.run_id)] == [
        "customers.csv line 4",
        "customers.csv line 7",
    ]
    text = "\n".join(report.lines())
    assert (
        "line 5: email 'not-an-email' is not a valid address" in text
        and "line 4: into the customer from line 2 (close name and same city)" in text
    )

    again = import_customers(uow_factory, write(tmp_path, MESSY), NOW)

    assert (again.created, len(again.merged), again.unchanged) == (0, 0, 5)
    assert count(uow_factory, Customer) == 3 and count(uow_factory, CustomerMerge) == 2


def test_a_duplicate_of_a_crm_customer_is_merged_and_the_merge_can_be_undone(uow_factory, tmp_path):
    uow = uow_factory()
    with uow:
        uow.session.add(
            Customer(
                name="Alex Demo",
                email="alex.demo@example.com",
                phone=None,
                address="Torstrasse 1, 10119 Berlin",
                created_at=NOW,
            )
        )
        uow.commit()
    path = write(tmp_path, "name,email,phone\nAlex Demo,ALEX.DEMO@example.com,+49 30 5550100\n")

    report = import_customers(uow_factory, path, NOW)

    assert (report.created, [why for _l, _i, why in report.merged]) == (0, ["same email"])
    assert customers(uow_factory) == [
        ("Alex Demo", "alex.demo@example.com", "+49305550100", "Torstrasse 1, 10119 Berlin")
    ]
    [merge] = list_merges(uow_factory())

    undone = undo_merge(uow_factory(), merge.id, NOW)

    assert customers(uow_factory) == [
        ("Alex Demo", "alex.demo@example.com", None, "Torstrasse 1, 10119 Berlin"),
        ("Alex Demo", None, "+49305550100", None),
    ]
    assert undone.undone_at == NOW and undone.split_customer_id is not None
    with pytest.raises(Exception, match="already undone"):
        undo_merge(uow_factory(), merge.id, NOW)


def test_dry_run_reports_the_same_and_writes_nothing(uow_factory, tmp_path):
    dry = import_customers(uow_factory, write(tmp_path, MESSY), NOW, dry_run=True)

    assert (dry.created, len(dry.merged), len(dry.bad), len(dry.flagged)) == (3, 2, 2, 1)
    assert "would import 3 new customers" in dry.lines()[0]
    assert count(uow_factory, Customer) == 0 and count(uow_factory, CustomerMerge) == 0
    assert count(uow_factory, ChannelIdentity) == 0


def test_a_crash_mid_batch_leaves_only_whole_batches(uow_factory, tmp_path):
    rows = "".join(f"Person {chr(65 + i)}{chr(65 + i)},p{i}@example.com\n" for i in range(10))
    path = write(tmp_path, "name,email\n" + rows)
    seen = []

    def power_cut(n: int) -> None:
        seen.append(n)
        if sum(seen) > 4:  # the rows of the second batch, before it is written
            raise OSError("power cut")

    with pytest.raises(ImportInterrupted, match="rows up to line 5 are imported") as stopped:
        import_customers(uow_factory, path, NOW, batch_size=4, progress=power_cut)

    assert stopped.value.report.committed_through == 5
    assert [c[1] for c in customers(uow_factory)] == [f"p{i}@example.com" for i in range(4)]
    finished = import_customers(uow_factory, path, NOW, batch_size=4)
    assert (finished.unchanged, finished.created) == (4, 6)
    assert count(uow_factory, Customer) == 10


ORDERS = """order number,customer email,date,total,status
A-9001,anna@example.com,2026-10-01,49.90,delivered
A-9002,anna@example.com,2026-10-02,"€1.234,50",shipped
A-9003,anna@example.com,2026-10-03,-12.00,delivered
A-9004,anna@example.com,2026-10-04,250000,delivered
A-9005,anna@example.com,2027-05-01,10,delivered
A-9006,nobody@example.com,2026-10-05,10,delivered
A-9001,anna@example.com,2026-10-06,10,delivered
A-9007,anna@example.com,2026-10-07,10,teleported
A-9008,anna@example.com,,12,
"""


def test_orders_are_imported_with_outliers_flagged(uow_factory, tmp_path):
    uow = uow_factory()
    with uow:
        uow.session.add(Customer(name="Anna", email="anna@example.com", created_at=NOW))
        uow.commit()

    report = import_orders(uow_factory, write(tmp_path, ORDERS, "orders.csv"), NOW, max_amount=100_000)

    assert report.created == 6
    assert report.flagged == [(6, "order date 2027-05-01 is in the future")]
    assert report.checks == [(5, "line amount 250,000.00 is beyond 100,000: check it")]
    assert report.bad == [
        (8, "order A-9001 is already on line 2"),
        (
            9,
            "status 'teleported' is not one of "
            + ", ".join(("pending", "paid", "packed", "shipped", "delivered", "cancelled", "returned")),
        ),
    ]
    assert report.missing == {"placed_at": 1, "status": 1}
    uow = uow_factory()
    with uow:
        orders = uow.session.execute(
            select(Order.number, Order.total, Order.status, Order.kind).order_by(Order.number)
        ).all()
        history = uow.session.scalar(
            select(func.count()).select_from(StageHistory).where(StageHistory.process == "order")
        )
        nobody = uow.session.scalar(select(Customer.id).where(Customer.email == "nobody@example.com"))
    # A negative total is a refund: a credit note, counted negative. An unknown email is a new customer, not a bad row.
    assert [tuple(o) for o in orders] == [
        ("A-9001", Decimal("49.90"), "delivered", "order"),
        ("A-9002", Decimal("1234.50"), "shipped", "order"),
        ("A-9003", Decimal("-12.00"), "cancelled", "credit_note"),
        ("A-9004", Decimal("250000.00"), "delivered", "order"),
        ("A-9006", Decimal("10.00"), "delivered", "order"),
        ("A-9008", Decimal("12.00"), "delivered", "order"),
    ]
    assert nobody is not None
    assert history == 6 + 5  # every order was placed (pending) and reached its stage; the credit note was cancelled
    assert import_orders(uow_factory, write(tmp_path, ORDERS, "orders.csv"), NOW).unchanged == 6


def test_a_cancelled_status_is_netted_by_a_credit_note(uow_factory, tmp_path):
    path = write(
        tmp_path,
        "order,email,date,total,status\nW-1,eva@example.com,2026-10-01,80.00,completed\n"
        "W-2,eva@example.com,2026-10-03,30.00,cancelled\n".replace("completed", "delivered"),
        "woo.csv",
    )

    report = import_orders(uow_factory, path, NOW)

    uow = uow_factory()
    with uow:
        rows = uow.session.execute(
            select(Order.number, Order.total, Order.status, Order.kind).order_by(Order.number)
        ).all()
        net = uow.session.scalar(select(func.sum(Order.total)))
    assert report.created == 3
    assert [tuple(r) for r in rows] == [
        ("W-1", Decimal("80.00"), "delivered", "order"),
        ("W-2", Decimal("30.00"), "cancelled", "order"),
        ("W-2-C", Decimal("-30.00"), "cancelled", "credit_note"),
    ]
    assert Decimal(str(net)) == Decimal("80.00")


def test_a_gzipped_customer_export_with_broken_rows_imports_the_rest(uow_factory, tmp_path):
    import gzip

    text = (
        "name,email,phone,city\n"
        "Greta Lang,greta@example.com,030 5550 1234,Berlin\n"
        "Hans, Broken,hans@example.com,,Bonn\n"  # an unquoted comma: one value too many
        f"Ida Roth,ida@example.com,,{'X' * 10_000}\n"
        "Jan Kurz,jan@example.com\n"  # trailing empty columns left out: a whole row
    )
    path = tmp_path / "customers.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))

    report = import_customers(uow_factory, path, NOW, region="DE")

    assert report.bad == [
        (3, "5 values for 4 columns (an unquoted delimiter?)"),
        (4, "'city' holds 10,000 characters (at most 1,000)"),
    ]
    assert [c[:2] for c in customers(uow_factory)] == [
        ("Greta Lang", "greta@example.com"),
        ("Jan Kurz", "jan@example.com"),
    ]


def test_a_large_customer_file_is_imported_without_full_collections(uow_factory, tmp_path):
    # A full pass of the cycle collector goes over everything the import holds; the import's own objects
    # form no cycles, so it keeps to young collections (and they free what its batches leave behind).
    def letters(i: int) -> str:
        return "".join(chr(97 + i // 26**k % 26) for k in range(3))

    lines = ["Name,Email,Phone,City"] + [
        f"Ann {letters(i)},person{i}@example.org,030 {5550000 + i},Town {letters(i % 3000)}" for i in range(12_000)
    ]
    generations: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        report = import_customers(uow_factory, write(tmp_path, "\n".join(lines) + "\n"), NOW, batch_size=3_000)
    finally:
        gc.callbacks.remove(seen)

    assert (report.created, len(report.bad)) == (12_000, 0)
    assert count(uow_factory, Customer) == 12_000
    assert generations and 2 not in generations
    assert gc.isenabled()
