"""`crmbot import orders FILE.csv`: orders of known customers, outliers flagged, in atomic batches.

The customer is found by email or phone (on the customer or one of their identities). An order
number already in the CRM is left alone (a re-import); one seen earlier in the file is a bad row.
Negative or absurd totals and dates in the future are flagged and not imported.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from analytics.importing import columns
from analytics.importing.csvfile import open_csv, rows
from analytics.importing.customers import EARLIEST, _batches
from analytics.importing.report import ImportInterrupted, ImportReport
from analytics.importing.values import BadValue, clean_email, clean_phone, parse_total, parse_when
from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, Order

STATUSES = tuple(stages.TRANSITIONS["order"])


def import_orders(uow_factory: Callable[[], UnitOfWork], path: Path, now: datetime, region: str = "DE",
                  batch_size: int = 500, max_amount: int = 100_000, overrides: dict[str, str] | None = None,
                  dry_run: bool = False, progress: Callable[[int], None] | None = None) -> ImportReport:
    f = open_csv(path)
    mapping = columns.detect("orders", f.header, overrides)
    report = ImportReport("orders", path.name, uuid.uuid4().hex[:12], dry_run, mapping)
    seen: dict[str, int] = {}
    dry_uow = uow_factory() if dry_run else None
    if dry_uow is not None:
        dry_uow.__enter__()
    try:
        for batch in _batches(rows(f), batch_size):
            uow = dry_uow or uow_factory()
            with uow:
                last = 0
                for line, raw in batch:
                    report.rows += 1
                    last = line
                    _one(uow, line, raw, mapping, region, now, max_amount, seen, report)
                    if progress:
                        progress(1)
                if dry_uow is None:
                    uow.commit()
                    report.committed_through = last
    except Exception as exc:
        raise ImportInterrupted(report, exc) from exc
    finally:
        if dry_uow is not None:
            dry_uow.__exit__(None, None, None)
    return report


def _one(uow: UnitOfWork, line: int, raw: dict[str, str], mapping: dict[str, str], region: str, now: datetime,
         max_amount: int, seen: dict[str, int], report: ImportReport) -> None:
    get = lambda f: raw.get(mapping[f], "").strip() if f in mapping else ""  # noqa: E731
    number = get("number").upper()
    if not number:
        report.missing["number"] += 1
        report.bad.append((line, "no order number"))
        return
    if number in seen:
        report.bad.append((line, f"order {number} is already on line {seen[number]}"))
        return
    seen[number] = line
    try:
        email = clean_email(get("email")) if get("email") else None
        phone = clean_phone(get("phone"), region) if get("phone") else None
        total = parse_total(get("total")) if get("total") else None
        placed = parse_when(get("placed_at")) if get("placed_at") else None
    except BadValue as exc:
        report.bad.append((line, str(exc)))
        return
    for field, value in (("total", total), ("placed_at", placed), ("status", get("status"))):
        if field in mapping and value in (None, ""):
            report.missing[field] += 1
    if total is None:
        report.bad.append((line, "no total"))
        return
    if total < 0 or total > Decimal(max_amount):
        report.flagged.append((line, f"total {total} is {'negative' if total < 0 else f'above {max_amount}'}"))
        return
    if placed is not None and (placed > now + timedelta(days=1) or placed < EARLIEST):
        report.flagged.append((line, f"order date {placed:%Y-%m-%d} is {'in the future' if placed > now else 'before 1990'}"))
        return
    status = (get("status") or "delivered").lower().replace(" ", "_")
    if status not in STATUSES:
        report.bad.append((line, f"status {get('status')!r} is not one of {', '.join(STATUSES)}"))
        return
    s = uow.session
    if s.scalar(select(Order.id).where(Order.number == number)) is not None:
        report.unchanged += 1
        return
    customer_id = _customer(uow, email, phone)
    if customer_id is None:
        report.bad.append((line, "no customer with this email or phone in the CRM (import customers first)"))
        return
    placed = placed or now
    order = Order(number=number[:20], customer_id=customer_id, status=status, stage_entered_at=placed, placed_at=placed, total=total)
    s.add(order)
    s.flush()
    stages.record_stage(s, "order", order.id, status, placed, note=f"imported from {report.file} line {line}")
    report.created += 1


def _customer(uow: UnitOfWork, email: str | None, phone: str | None) -> int | None:
    s = uow.session
    for channel, value, column in (("email", email, Customer.email), ("phone", phone, Customer.phone)):
        if not value:
            continue
        found = s.scalar(select(Customer.id).where(column == value).limit(1))
        found = found or s.scalar(select(ChannelIdentity.customer_id).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == value).limit(1))
        if found:
            return found
    return None
