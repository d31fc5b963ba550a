"""Who is who during a customer import, kept in memory, and one batch written in bulk.

The book knows every customer the import may merge into (the CRM's, loaded once, and the ones the import
makes), with the email, phone and address each has now, and every email and identity already given out.
So a merge is decided without a query, and a batch is written with a handful of statements whatever its
size: new customers, changed customers, new identities and the merge log (COPY on PostgreSQL,
executemany on SQLite).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from analytics.importing.bulk import allocate_ids, insert_frame, update_frame
from analytics.importing.duplicates import Matcher, city_from_address
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer


@dataclass(slots=True)
class CustomerRow:
    line: int
    name: str
    email: str | None
    phone: str | None
    city: str | None
    address: str | None
    created_at: datetime | None
    key: str = ""  # name_key(name)
    block: str | None = None  # block_key of the name and the city (else the address's city)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "city": self.city,
            "address": self.address,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }

    def full_address(self) -> str | None:
        if self.address and self.city and self.city.lower() not in self.address.lower():
            return f"{self.address}, {self.city}"
        return self.address or self.city


@dataclass
class CleanRows:
    """A file's clean rows column by column, in file order: a million rows are not a million objects."""

    line: list[int]
    name: list[str]
    email: list[str | None]
    phone: list[str | None]
    city: list[str | None]
    address: list[str | None]
    created: list[datetime | None]
    created_text: list[str | None]  # as the database stores it
    key: list[str]
    block: list[str | None]
    full_address: list[str | None]

    def __len__(self) -> int:
        return len(self.line)

    def row(self, i: int) -> CustomerRow:
        return CustomerRow(
            self.line[i],
            self.name[i],
            self.email[i],
            self.phone[i],
            self.city[i],
            self.address[i],
            self.created[i],
            self.key[i],
            self.block[i],
        )


# How the database keeps a datetime: SQLAlchemy's own text form on SQLite, which PostgreSQL reads too.
STAMP = "%Y-%m-%d %H:%M:%S.%f"


class Ref:
    """A customer the import may merge into: one of the CRM's (line None) or one it made from a line. Its id is
    known once its batch takes ids, before any merge into it is written."""

    __slots__ = ("id", "line", "email", "phone", "address")

    def __init__(
        self,
        id: int | None = None,
        line: int | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
    ) -> None:
        self.id, self.line, self.email, self.phone, self.address = id, line, email, phone, address


@dataclass
class Merge:
    ref: Ref
    row: CustomerRow
    reason: str
    fields: dict[str, None]  # the fields the row filled (they were empty)
    identities: list[tuple[str, str]]  # (channel, value) the row added


class CustomerBook:
    def __init__(self) -> None:
        self.matcher = Matcher()
        self.emails: set[str] = set()  # every customer's email: unique in the table
        self.identities: set[tuple[str, str]] = set()  # (channel, external id) of email and phone identities

    @classmethod
    def from_crm(cls, uow: UnitOfWork) -> CustomerBook:
        book = cls()
        refs: dict[int, Ref] = {}
        with uow:
            s = uow.session
            for cid, name, email, phone, address in s.execute(
                select(Customer.id, Customer.name, Customer.email, Customer.phone, Customer.address)
            ):
                refs[cid] = ref = Ref(cid, None, email, phone, address)
                if email:
                    book.emails.add(email)
                book.matcher.add(
                    ref,
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
                book.identities.add((channel, external))
                book.matcher.add(
                    refs.get(cid) or Ref(cid),
                    external if channel == "email" else None,
                    external if channel == "phone" else None,
                )
        return book

    def place(self, rows: CleanRows, start: int, stop: int) -> tuple[list[tuple[Ref, int]], list[tuple[Ref, int, str]]]:
        """Rows start..stop in file order: the new customers (ref, row index) and the rows that are a customer
        already known (ref, row index, why); either way a row's email, phone and name now point at its customer."""
        made: list[tuple[Ref, int]] = []
        found: list[tuple[Ref, int, str]] = []
        find, add, emails = self.matcher.find_keyed, self.matcher.add_keyed, self.emails
        line, email, phone, key, block, full = (
            rows.line,
            rows.email,
            rows.phone,
            rows.key,
            rows.block,
            rows.full_address,
        )
        for i in range(start, stop):
            match = find(email[i], phone[i], key[i], block[i])
            if match is None:
                ref = Ref(None, line[i], email[i], phone[i], full[i])
                if email[i]:
                    emails.add(email[i])  # type: ignore[arg-type]
                made.append((ref, i))
            else:
                ref = match.target  # type: ignore[assignment]
                found.append((ref, i, match.reason))
            add(ref, email[i], phone[i], key[i], block[i])
        return made, found

    def merge(self, ref: Ref, row: CustomerRow, reason: str) -> Merge:
        """Fill what the customer lacks; a second email or phone becomes an identity unless someone has it."""
        fields: dict[str, None] = {}
        for field, value in (("email", row.email), ("phone", row.phone), ("address", row.full_address())):
            if value and not getattr(ref, field):
                if field == "email":
                    if value in self.emails:
                        continue
                    self.emails.add(value)
                fields[field] = None
                setattr(ref, field, value)
        identities = []
        for channel, value in (("email", row.email), ("phone", row.phone)):
            if value and value != (getattr(ref, channel) or "").lower() and channel not in fields:
                if (channel, value) not in self.identities:
                    self.identities.add((channel, value))
                    identities.append((channel, value))
        return Merge(ref, row, reason, fields, identities)


def write_batch(
    uow: UnitOfWork,
    rows: CleanRows,
    made: list[tuple[Ref, int]],
    merges: list[Merge],
    run_id: str,
    source: str,
    now: datetime,
) -> None:
    """New customers (as they stand after this batch's merges), changed older customers, new identities and the
    merge log, in the caller's transaction."""
    conn = uow.session.connection()
    new = {id(ref) for ref, _i in made}
    changed = {id(m.ref): m.ref for m in merges if m.fields and id(m.ref) not in new}
    stamp = now.strftime(STAMP)
    if made:
        frame = pd.DataFrame(
            {
                "id": [ref.id for ref, _ in made],
                "name": [rows.name[i][:200] for _, i in made],
                "email": [ref.email for ref, _ in made],
                "phone": [ref.phone for ref, _ in made],
                "address": [ref.address for ref, _ in made],
                "created_at": [rows.created_text[i] or stamp for _, i in made],
            }
        )
        insert_frame(conn, "customers", frame)
    if changed:
        refs = list(changed.values())
        update_frame(
            conn,
            "customers",
            pd.DataFrame(
                {
                    "id": [r.id for r in refs],
                    "email": [r.email for r in refs],
                    "phone": [r.phone for r in refs],
                    "address": [r.address for r in refs],
                }
            ),
        )
    identity_ids = iter(allocate_ids(conn, "channel_identities", sum(len(m.identities) for m in merges)))
    identities: list[tuple] = []
    log: list[tuple] = []
    for m in merges:
        ids = []
        for channel, value in m.identities:
            ids.append(next(identity_ids))
            identities.append((ids[-1], m.ref.id, channel, value, m.row.name[:200], stamp))
        log.append(
            (
                run_id,
                m.ref.id,
                f"{source} line {m.row.line}"[:300],
                m.reason,
                json.dumps(m.row.as_json()),
                json.dumps({"fields": m.fields, "identity_ids": ids}),
                stamp,
            )
        )
    if identities:
        insert_frame(
            conn,
            "channel_identities",
            pd.DataFrame(
                identities, columns=["id", "customer_id", "channel", "external_id", "display_name", "created_at"]
            ),
        )
    if log:
        insert_frame(
            conn,
            "customer_merges",
            pd.DataFrame(
                log, columns=["import_run", "kept_customer_id", "source", "reason", "row", "changes", "merged_at"]
            ),
        )
