"""`crmbot import customers FILE.csv`: clean, de-duplicate, merge reversibly, in atomic batches.

Rows stream through in batches (IMPORT_BATCH_SIZE, one transaction each). A row that matches a
customer already in the CRM, or an earlier row of the file, is merged into that customer: missing
fields are filled, a second email or phone becomes an identity, and the merge log keeps what undo
needs. A dry run does the same work in one transaction and rolls it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from analytics.importing import columns
from analytics.importing.csvfile import open_csv, rows
from analytics.importing.duplicates import Matcher, city_from_address
from analytics.importing.report import ImportInterrupted, ImportReport
from analytics.importing.values import (
    BadValue,
    clean_email,
    clean_name,
    clean_phone,
    parse_when,
)
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, CustomerMerge

EARLIEST = datetime(1990, 1, 1)


@dataclass(slots=True)
class CustomerRow:
    line: int
    name: str
    email: str | None
    phone: str | None
    city: str | None
    address: str | None
    created_at: datetime | None

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "city": self.city,
            "address": self.address,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def clean_customer(
    line: int, raw: dict[str, str], mapping: dict[str, str], region: str, now: datetime, report: ImportReport
) -> CustomerRow | None:
    """A clean row, or None after noting it as bad or flagged."""

    def get(f: str) -> str:
        return raw.get(mapping[f], "").strip() if f in mapping else ""

    if "__extra__" in raw:
        report.bad.append((line, "more values than columns (an unquoted delimiter?)"))
        return None
    try:
        name = clean_name(get("name") or f"{get('first_name')} {get('last_name')}")
        email = clean_email(get("email")) if get("email") else None
        phone = clean_phone(get("phone"), region) if get("phone") else None
        created = parse_when(get("created_at")) if get("created_at") else None
    except BadValue as exc:
        report.bad.append((line, str(exc)))
        return None
    for f, value in (("name", name), ("email", email), ("phone", phone), ("city", get("city"))):
        if f in mapping or f == "name":
            if not value:
                report.missing[f] += 1
    if not (name or email or phone):
        report.bad.append((line, "no name, email or phone"))
        return None
    if created is not None and (created > now + timedelta(days=1) or created < EARLIEST):
        report.flagged.append(
            (line, f"customer since {created:%Y-%m-%d} is {'in the future' if created > now else 'before 1990'}")
        )
        return None
    city = " ".join(get("city").split()).title() if get("city") else None
    return CustomerRow(
        line, name or (email or phone or "").split("@")[0], email, phone, city, get("address") or None, created
    )


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
    f = open_csv(path)
    mapping = columns.detect("customers", f.header, overrides)
    report = ImportReport("customers", path.name, uuid.uuid4().hex[:12], dry_run, mapping)
    matcher = Matcher()
    _index_crm(uow_factory(), matcher)
    dry_uow = uow_factory() if dry_run else None
    if dry_uow is not None:
        dry_uow.__enter__()
    try:
        for batch in _batches(rows(f), batch_size):
            uow = dry_uow or uow_factory()
            with uow:
                last = 0
                made: list[tuple[Ref, CustomerRow]] = []
                found: list[tuple[Ref, CustomerRow, str]] = []
                for line, raw in batch:
                    report.rows += 1
                    last = line
                    row = clean_customer(line, raw, mapping, region, now, report)
                    if row is not None:
                        _place(row, matcher, made, found)
                    if progress:
                        progress(1)
                _insert_new(uow, made, now)
                report.created += len(made)
                _merge_found(uow, found, report, path.name, now)
                if dry_uow is None:
                    uow.commit()
                    report.committed_through = last
    except Exception as exc:
        raise ImportInterrupted(report, exc) from exc
    finally:
        if dry_uow is not None:
            dry_uow.__exit__(None, None, None)  # rolls everything back
    return report


def _batches(it: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in it:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Ref:
    """Whom the matcher points at: a CRM customer (line None) or one this import made from a line.
    Its id is known once the batch's new customers are inserted, before any merge into them."""

    __slots__ = ("id", "line")

    def __init__(self, id: int | None = None, line: int | None = None) -> None:
        self.id, self.line = id, line


def _index_crm(uow: UnitOfWork, matcher: Matcher) -> None:
    refs: dict[int, Ref] = {}
    with uow:
        s = uow.session
        for cid, name, email, phone, address in s.execute(
            select(Customer.id, Customer.name, Customer.email, Customer.phone, Customer.address)
        ):
            refs[cid] = Ref(cid)
            matcher.add(
                refs[cid],
                (email or "").lower() or None,
                phone if phone and phone.startswith("+") else None,
                name,
                city_from_address(address),
            )
        for cid, channel, external in s.execute(
            select(ChannelIdentity.customer_id, ChannelIdentity.channel, ChannelIdentity.external_id).where(
                ChannelIdentity.channel.in_(("email", "phone"))
            )
        ):
            matcher.add(
                refs.get(cid) or Ref(cid),
                external if channel == "email" else None,
                external if channel == "phone" else None,
            )


def _place(
    row: CustomerRow, matcher: Matcher, made: list[tuple[Ref, CustomerRow]], found: list[tuple[Ref, CustomerRow, str]]
) -> None:
    match = matcher.find(row.email, row.phone, row.name, row.city or city_from_address(row.address))
    if match is None:
        ref = Ref(None, row.line)
        made.append((ref, row))
    else:
        ref = match.target  # type: ignore[assignment]
        found.append((ref, row, match.reason))
    matcher.add(ref, row.email, row.phone, row.name, row.city or city_from_address(row.address))


def _insert_new(uow: UnitOfWork, made: list[tuple[Ref, CustomerRow]], now: datetime) -> None:
    """The batch's new customers in one bulk insert (COPY on PostgreSQL), with ids taken up front
    so the rows merged into them in this batch can point at them."""
    if not made:
        return
    import pandas as pd

    from analytics.importing.bulk import allocate_ids, insert_frame, when

    conn = uow.session.connection()
    ids = allocate_ids(conn, "customers", len(made))
    for (ref, _row), cid in zip(made, ids):
        ref.id = cid
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": [r.name[:200] for _, r in made],
            "email": [r.email for _, r in made],
            "phone": [r.phone for _, r in made],
            "address": [_address(r) for _, r in made],
            "created_at": [r.created_at or now for _, r in made],
        }
    )
    frame["created_at"] = when(frame["created_at"], conn)
    insert_frame(conn, "customers", frame)


def _merge_found(
    uow: UnitOfWork, found: list[tuple[Ref, CustomerRow, str]], report: ImportReport, source: str, now: datetime
) -> None:
    logged = []
    taken: set[tuple[str, str]] = set()
    # No autoflush: one flush for the batch instead of one per merge; `taken` stands in for what is unflushed.
    with uow.session.no_autoflush:
        for ref, row, reason in found:
            customer = uow.session.get(Customer, ref.id)
            merged = merge_row(
                uow,
                customer,
                row,
                reason,
                f"{source} line {row.line}",
                report.run_id,
                now,
                log_even_if_unchanged=ref.line is not None,
                taken=taken,
            )
            if merged is not None:
                logged.append(merged)
                into = f"the customer from line {ref.line}" if ref.line is not None else f"customer #{ref.id}"
                report.merged.append((row.line, into, reason))
            else:
                report.unchanged += 1
    # One flush gives every new identity its id; the merge log keeps them for undo.
    uow.flush()
    for merge, identities in logged:
        merge.changes = {**merge.changes, "identity_ids": [i.id for i in identities]}


def _address(row: CustomerRow) -> str | None:
    if row.address and row.city and row.city.lower() not in row.address.lower():
        return f"{row.address}, {row.city}"
    return row.address or row.city


def merge_row(
    uow: UnitOfWork,
    customer: Customer,
    row: CustomerRow,
    reason: str,
    source: str,
    run_id: str,
    now: datetime,
    log_even_if_unchanged: bool = False,
    taken: set[tuple[str, str]] | None = None,
) -> tuple[CustomerMerge, list[ChannelIdentity]] | None:
    """Merge an imported row into a customer: fill what the customer lacks, keep a second email or
    phone as an identity, and log it. None (nothing logged) when the row adds nothing to a customer
    that was already in the CRM: that is a re-import, not a duplicate. Identity ids are known after
    the caller's flush, which then writes them into the log entry. taken: the emails and identities
    this batch gave out and has not flushed yet, for a caller that merges without autoflush."""
    taken = taken if taken is not None else set()
    s = uow.session
    old: dict[str, str | None] = {}
    identities: list[ChannelIdentity] = []
    for field, value in (("email", row.email), ("phone", row.phone), ("address", _address(row))):
        if value and not getattr(customer, field):
            if field == "email" and (
                ("customer_email", value) in taken
                or s.scalar(select(Customer.id).where(Customer.email == value)) is not None
            ):
                continue
            if field == "email":
                taken.add(("customer_email", value))
            old[field] = None
            setattr(customer, field, value)
    for channel, value in (("email", row.email), ("phone", row.phone)):
        if value and value != (getattr(customer, channel) or "").lower() and channel not in old:
            exists = (channel, value) in taken or s.scalar(
                select(ChannelIdentity.id).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == value
                )
            )
            if not exists:
                taken.add((channel, value))
                identity = ChannelIdentity(
                    customer=customer, channel=channel, external_id=value, display_name=row.name, created_at=now
                )
                s.add(identity)
                identities.append(identity)
    if not old and not identities and not log_even_if_unchanged:
        return None
    merge = CustomerMerge(
        import_run=run_id,
        kept=customer,
        source=source[:300],
        reason=reason,
        row=row.as_json(),
        changes={"fields": old, "identity_ids": []},
        merged_at=now,
    )
    s.add(merge)
    return merge, identities
