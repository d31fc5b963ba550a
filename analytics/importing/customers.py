"""`crmbot import customers FILE`: clean, de-duplicate, merge reversibly, in atomic batches.

The whole file is read and cleaned column by column (pandas). Then the rows go through in file order, in
batches (IMPORT_BATCH_SIZE, one transaction each): a row that matches a customer already in the CRM, or an
earlier row of the file, is merged into that customer (missing fields are filled, a second email or phone
becomes an identity, and the merge log keeps what undo needs); any other row is a new customer. Matching and
merging happen in memory (customerbook.py); each batch is written in bulk. A dry run does the same and writes
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.importing import columns
from analytics.importing.bulk import allocate_ids
from analytics.importing.columnvalues import dates, distinct
from analytics.importing.contacts import emails, phones
from analytics.importing.customerbook import CustomerBook, CustomerRow, Merge, Ref, place_key, write_batch
from analytics.importing.duplicates import name_key
from analytics.importing.report import ImportInterrupted, ImportReport
from analytics.importing.sheet import BAD, read_sheet
from analytics.importing.values import clean_name
from crm_store.db import UnitOfWork

EARLIEST = datetime(1990, 1, 1)


def import_customers(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    now: datetime,
    region: str = "DE",
    batch_size: int = 500,
    overrides: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """progress(n): n more rows placed, called once a batch before it is written."""
    sheet = read_sheet(path)
    mapping = columns.detect("customers", sheet.header, overrides)
    report = ImportReport("customers", path.name, uuid.uuid4().hex[:12], dry_run, mapping)
    lines, good = clean_customers(sheet.frame, mapping, region, now, report)
    book = CustomerBook.from_crm(uow_factory())
    # Where each batch's good rows start: the rows are in file order, a batch is batch_size lines of the file.
    ends = np.searchsorted(
        np.array([row.line for row in good], dtype=np.int64), lines[batch_size - 1 :: batch_size], side="right"
    )
    try:
        start = 0
        for first in range(0, len(lines), batch_size):
            last_line = int(lines[min(first + batch_size, len(lines)) - 1])
            stop = int(ends[first // batch_size]) if first // batch_size < len(ends) else len(good)
            made: list[tuple[Ref, CustomerRow]] = []
            found: list[tuple[Ref, CustomerRow, str]] = []
            for row in good[start:stop]:
                ref, reason = book.place(row)
                if reason is None:
                    made.append((ref, row))
                else:
                    found.append((ref, row, reason))
            start = stop
            if progress:
                progress(min(batch_size, len(lines) - first))
            _write(uow_factory, book, made, found, report, path.name, now)
            report.committed_through = last_line
    except Exception as exc:
        raise ImportInterrupted(report, exc) from exc
    return report


def _write(
    uow_factory: Callable[[], UnitOfWork],
    book: CustomerBook,
    made: list[tuple[Ref, CustomerRow]],
    found: list[tuple[Ref, CustomerRow, str]],
    report: ImportReport,
    source: str,
    now: datetime,
) -> None:
    uow = None if report.dry_run else uow_factory()
    if uow is not None:
        uow.__enter__()
    try:
        if uow is not None:
            for (ref, _row), cid in zip(made, allocate_ids(uow.session.connection(), "customers", len(made))):
                ref.id = cid
        merges: list[Merge] = []
        for ref, row, reason in found:
            merge = book.merge(ref, row, reason)
            if merge.fields or merge.identities or ref.line is not None:
                merges.append(merge)
                into = f"the customer from line {ref.line}" if ref.line is not None else f"customer #{ref.id}"
                report.merged.append((row.line, into, reason))
            else:
                report.unchanged += 1  # a re-import: the row adds nothing to a customer the CRM had
        report.created += len(made)
        if uow is not None:
            write_batch(uow, made, merges, report.run_id, source, now)
            uow.commit()
    finally:
        if uow is not None:
            uow.__exit__(None, None, None)


def clean_customers(
    frame: pd.DataFrame, mapping: dict[str, str], region: str, now: datetime, report: ImportReport
) -> tuple[np.ndarray, list[CustomerRow]]:
    """The line numbers of the file's rows (blank rows left out), and its clean rows; bad and flagged rows
    go to the report with their reason."""
    data = [c for c in frame.columns if c != BAD]
    frame = frame[(frame[data] != "").any(axis=1)] if data else frame
    report.rows = len(frame)

    def raw(f: str) -> pd.Series:
        return frame[mapping[f]].fillna("") if f in mapping else pd.Series("", index=frame.index, dtype=object)

    name = raw("name")
    if "first_name" in mapping or "last_name" in mapping:
        name = name.where(name != "", raw("first_name") + " " + raw("last_name"))
    name = distinct(name, lambda u: u.map(clean_name))
    email, email_why = emails(raw("email"))
    phone, phone_why = phones(raw("phone"), region)
    created, date_why = dates(raw("created_at"), "date")
    # A short row is a customer export with its last empty columns left out, not a broken line.
    why = frame[BAD].where(~frame[BAD].fillna("").str.endswith("(a cut-off line?)"), None)
    for reason in (email_why, phone_why, date_why):
        why = why.where(why.notna(), reason)
    parsed = why.isna()
    city = raw("city")
    for f, value in (("name", name), ("email", email), ("phone", phone), ("city", city)):
        if f in mapping or f == "name":
            n = int((parsed & (value == "")).sum())
            if n:
                report.missing[f] += n
    nothing = parsed & (name == "") & (email == "") & (phone == "")
    why = why.where(~nothing, "no name, email or phone")
    bad = why.notna()
    report.bad.extend(zip(why.index[bad].tolist(), why[bad].tolist()))
    future, past = created > now + timedelta(days=1), created < EARLIEST
    odd = ~bad & (future | past)
    if odd.any():
        report.flagged.extend(
            (int(line), f"customer since {when:%Y-%m-%d} is {'in the future' if when > now else 'before 1990'}")
            for line, when in created[odd].items()
        )
    ok = ~bad & ~odd
    titled_city = distinct(city, lambda u: u.str.split().str.join(" ").str.title())
    name = name.where(name != "", (email.where(email != "", phone)).str.split("@").str[0])
    address = raw("address")
    keys = distinct(name[ok], lambda u: u.map(name_key))
    places = [place_key(c or None, a or None) for c, a in zip(titled_city[ok], address[ok])]
    good = [
        CustomerRow(
            int(line),
            n,
            e or None,
            p or None,
            c or None,
            a or None,
            None if pd.isna(t) else t.to_pydatetime(),
            k,
            place,
        )
        for line, n, e, p, c, a, t, k, place in zip(
            frame.index[ok],
            name[ok],
            email[ok],
            phone[ok],
            titled_city[ok],
            address[ok],
            created[ok],
            keys,
            places,
        )
    ]
    return frame.index.to_numpy(), good
