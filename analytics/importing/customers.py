"""`crmbot import customers FILE`: clean, de-duplicate, merge reversibly, in atomic batches.

The whole file is read and cleaned column by column (pandas). Then the rows go through in file order, in
batches (IMPORT_BATCH_SIZE, one transaction each): a row that matches a customer already in the CRM, or an
earlier row of the file, is merged into that customer (missing fields are filled, a second email or phone
becomes an identity, and the merge log keeps what undo needs); any other row is a new customer. Matching and
merging happen in memory (customerbook.py); each batch is written in bulk. A dry run does the same and writes
nothing.
"""

from __future__ import annotations

import time
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
from analytics.importing.customerbook import STAMP, CleanRows, CustomerBook, Merge, Ref, write_batch
from analytics.importing.duplicates import city_from_address, city_key, name_keys
from analytics.importing.heap import collect_young, young_collections_only
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
    with young_collections_only():
        return _import_customers(uow_factory, path, now, region, batch_size, overrides, dry_run, progress)


def _import_customers(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    now: datetime,
    region: str,
    batch_size: int,
    overrides: dict[str, str] | None,
    dry_run: bool,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    clock = time.perf_counter()
    sheet = read_sheet(path)
    mapping = columns.detect("customers", sheet.header, overrides)
    report = ImportReport("customers", path.name, uuid.uuid4().hex[:12], dry_run, mapping)
    report.seconds["read"] = time.perf_counter() - clock
    lines, rows = clean_customers(sheet.frame, mapping, region, now, report)
    del sheet
    book = CustomerBook.from_crm(uow_factory())
    report.seconds["clean"] = time.perf_counter() - clock - report.seconds["read"]
    report.seconds["match"] = report.seconds["write"] = 0.0
    # Where each batch's clean rows end: a batch is batch_size lines of the file, bad ones included.
    ends = np.searchsorted(np.array(rows.line, dtype=np.int64), lines[batch_size - 1 :: batch_size], side="right")
    try:
        start = 0
        for first in range(0, len(lines), batch_size):
            k = first // batch_size
            stop = int(ends[k]) if k < len(ends) else len(rows)
            clock = time.perf_counter()
            made, found = book.place(rows, start, stop)
            start = stop
            if progress:
                progress(min(batch_size, len(lines) - first))
            placed = time.perf_counter()
            report.seconds["match"] += placed - clock
            _write(uow_factory, book, rows, made, found, report, path.name, now)
            report.seconds["write"] += time.perf_counter() - placed
            report.committed_through = int(lines[min(first + batch_size, len(lines)) - 1])
            collect_young()
    except Exception as exc:
        raise ImportInterrupted(report, exc) from exc
    return report


def _write(
    uow_factory: Callable[[], UnitOfWork],
    book: CustomerBook,
    rows: CleanRows,
    made: list[tuple[Ref, int]],
    found: list[tuple[Ref, int, str]],
    report: ImportReport,
    source: str,
    now: datetime,
) -> None:
    uow = None if report.dry_run else uow_factory()
    if uow is not None:
        uow.__enter__()
    try:
        if uow is not None:
            for (ref, _i), cid in zip(made, allocate_ids(uow.session.connection(), "customers", len(made))):
                ref.id = cid
        merges: list[Merge] = []
        for ref, i, reason in found:
            row = rows.row(i)
            merge = book.merge(ref, row, reason)
            if merge.fields or merge.identities or ref.line is not None:
                merges.append(merge)
                into = f"the customer from line {ref.line}" if ref.line is not None else f"customer #{ref.id}"
                report.merged.append((row.line, into, reason))
            else:
                report.unchanged += 1  # a re-import: the row adds nothing to a customer the CRM had
        report.created += len(made)
        if uow is not None:
            write_batch(uow, rows, made, merges, report.run_id, source, now)
            uow.commit()
    finally:
        if uow is not None:
            uow.__exit__(None, None, None)


def clean_customers(
    frame: pd.DataFrame, mapping: dict[str, str], region: str, now: datetime, report: ImportReport
) -> tuple[np.ndarray, CleanRows]:
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
    name, keys, initials = _names(name)
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
    name, keys, initials = name[ok], keys[ok], initials[ok]
    unnamed = name == ""
    if unnamed.any():  # named after the email's local part, or the phone
        name[unnamed], keys[unnamed], initials[unnamed] = _names(
            email[ok][unnamed].where(email[ok][unnamed] != "", phone[ok][unnamed]).str.split("@").str[0]
        )
    city = distinct(city[ok], lambda u: u.str.split().str.join(" ").str.title())
    address = raw("address")[ok]
    places = distinct(city, lambda u: u.map(city_key))
    no_city = places == ""
    places[no_city] = distinct(address[no_city], lambda u: u.map(city_from_address))
    blocks = (places + initials).where((keys != "") & (places != ""), None)
    created = created[ok]
    full = [f"{a}, {c}" if a and c and c.lower() not in a.lower() else (a or c or None) for a, c in zip(address, city)]
    rows = CleanRows(
        line=name.index.tolist(),
        name=name.tolist(),
        email=email[ok].where(email[ok] != "", None).tolist(),
        phone=phone[ok].where(phone[ok] != "", None).tolist(),
        city=city.where(city != "", None).tolist(),
        address=address.where(address != "", None).tolist(),
        created=pd.Series(created.dt.to_pydatetime(), index=name.index, dtype=object)
        .where(created.notna(), None)
        .tolist(),
        created_text=created.dt.strftime(STAMP).where(created.notna(), None).tolist(),
        key=keys.tolist(),
        block=blocks.where(blocks.notna(), None).tolist(),
        full_address=full,
    )
    return frame.index.to_numpy(), rows


def _names(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Clean names, their matching keys and the initials part of their block, once per distinct name."""
    codes, uniques = pd.factorize(raw.to_numpy())
    clean, keys, initials = [], [], []
    for value in uniques:
        name = clean_name(value)
        key, initial = name_keys(name)
        clean.append(name)
        keys.append(key)
        initials.append(initial)
    return tuple(  # type: ignore[return-value]
        pd.Series(np.array(values, dtype=object)[codes], index=raw.index, dtype=object)
        for values in (clean, keys, initials)
    )
