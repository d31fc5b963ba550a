"""Receipts read from customers' photos: kept as read, corrected, confirmed and attached.

A reading is stored as soon as OCR has read it (status "read"), so the customer's yes
in the next turn only has to name its id. Confirming attaches it to the process the
conversation is about: the return opened in this conversation, a payment ticket, or
else the customer's order with the number on the receipt. The raw OCR text goes on
the conversation's attachment row too, once ingestion has stored that row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import Attachment, Order, ReceiptReading, Return, Ticket
from crm_store.ocr.fields import ReceiptFields
from crm_store.services.conversations import conversation_for_sender
from crm_store.services.returns import return_number
from crm_store.services.tickets import OPEN_STATUSES, ticket_number

CORRECTABLE = ("order_number", "date", "total")


class ReadingNotFound(CrmError):
    def __init__(self, reading_id: int) -> None:
        super().__init__(f"There is no receipt reading {reading_id} waiting for this customer.")
        self.reading_id = reading_id


@dataclass(frozen=True)
class ReadingView:
    id: int
    status: str
    order_number: str | None
    date: str | None
    total: Decimal | None
    currency: str | None
    merchant: str | None
    process: str | None
    process_id: int | None
    process_number: str | None  # "R-00012", "T-00003", "A-10423"


def record_reading(
    uow: UnitOfWork, customer_id: int, sender_id: str, image_path: str, text: str, fields: ReceiptFields, now: datetime
) -> ReadingView:
    """Store what OCR read, waiting for the customer's confirmation."""
    with uow:
        row = ReceiptReading(
            customer_id=customer_id,
            sender_id=sender_id,
            image_path=image_path[:500],
            ocr_text=text,
            fields=fields.as_dict(),
            order_number=fields.order_number,
            receipt_date=fields.date,
            total=Decimal(fields.total) if fields.total else None,
            currency=fields.currency,
            merchant=(fields.merchant or "")[:200] or None,
            status="read",
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return _view(row, None)


def correct_reading(uow: UnitOfWork, reading_id: int, customer_id: int, field: str, value: str) -> ReadingView:
    """Replace one field the customer says was misread (value already parsed: 'A-10423', ISO date, '89.90')."""
    if field not in CORRECTABLE:
        raise CrmError(f"The {field} of a receipt cannot be corrected.")
    with uow:
        row = _waiting(uow, reading_id, customer_id)
        if field == "order_number":
            row.order_number = value
        elif field == "date":
            row.receipt_date = value
        else:
            row.total = Decimal(value)
        row.fields = {
            **(row.fields or {}),
            field: value,
            "corrected": sorted({*(row.fields or {}).get("corrected", []), field}),
        }
        uow.commit()
        return _view(row, None)


def confirm_reading(
    uow: UnitOfWork, reading_id: int, customer_id: int, context: str | None, since: datetime, now: datetime
) -> ReadingView:
    """The customer said yes: attach the reading (and its image and text) where it belongs.

    context "return": the latest return this customer opened since `since` (this
    conversation); "payment": the latest open ticket since then, or a new payment
    ticket. Otherwise, or when there is no such return: the customer's own order
    with the receipt's number. Someone else's order is never touched: then the
    reading stays confirmed on the conversation only.
    """
    with uow:
        row = _waiting(uow, reading_id, customer_id)
        # Confirmed first, then the photo looked up: the write takes SQLite's write lock (PostgreSQL:
        # the row's lock, which link_late_attachment waits for), so ingestion storing the photo at
        # this moment either finished before (found here) or sees the reading confirmed (links it).
        row.status, row.confirmed_at = "confirmed", now
        uow.session.flush()
        attachment = _attachment(uow, row)
        process, process_id, number = None, None, None
        if context == "return":
            ret = uow.session.scalars(
                select(Return)
                .where(Return.customer_id == customer_id, Return.created_at >= since)
                .order_by(Return.created_at.desc(), Return.id.desc())
                .limit(1)
            ).first()
            if ret is not None:
                process, process_id, number = "return", ret.id, return_number(ret.id)
                if attachment is not None:
                    ret.receipt_attachment_id = attachment.id
        if process is None and context == "payment":
            ticket = _payment_ticket(uow, row, customer_id, since, now)
            process, process_id, number = "ticket", ticket.id, ticket_number(ticket.id)
        if process is None and row.order_number:
            order = uow.session.scalars(select(Order).where(Order.number == row.order_number)).first()
            if order is not None and order.customer_id == customer_id:
                process, process_id, number = "order", order.id, order.number
        row.process, row.process_id = process, process_id
        row.status, row.confirmed_at = "confirmed", now
        if attachment is not None:
            row.attachment_id = attachment.id
            attachment.ocr_text = row.ocr_text
        uow.commit()
        return _view(row, number)


def _waiting(uow: UnitOfWork, reading_id: int, customer_id: int) -> ReceiptReading:
    row = uow.session.get(ReceiptReading, reading_id)
    if row is None or row.customer_id != customer_id or row.status != "read":
        raise ReadingNotFound(reading_id)
    return row


def link_late_attachment(session: Session, attachment_id: int, path: str) -> None:
    """Ingestion stored a photo's attachment: link it to a reading confirmed before it arrived.

    Ingestion runs behind the conversation (a thread of Rasa, or with INGEST_WORKER=process
    another process), so a customer's quick "yes" can confirm a reading before the photo's
    own turn is in the CRM. confirm_reading then finds no attachment; this puts it where
    confirm_reading would have (the reading, its text, the return it went to).
    """
    for row in session.scalars(
        select(ReceiptReading)
        .where(
            ReceiptReading.image_path == path,
            ReceiptReading.status == "confirmed",
            ReceiptReading.attachment_id.is_(None),
        )
        .with_for_update()
    ):
        attachment = session.get(Attachment, attachment_id)
        row.attachment_id = attachment_id
        attachment.ocr_text = row.ocr_text
        if row.process == "return":
            ret = session.get(Return, row.process_id)
            if ret is not None and ret.receipt_attachment_id is None:
                ret.receipt_attachment_id = attachment_id


def _attachment(uow: UnitOfWork, row: ReceiptReading) -> Attachment | None:
    # Ingestion stores the attachment after the turn that carried the photo; by the
    # customer's yes it is normally there (if not, link_late_attachment links it on arrival).
    return uow.session.scalars(
        select(Attachment).where(Attachment.path == row.image_path).order_by(Attachment.id).limit(1)
    ).first()


def _payment_ticket(uow: UnitOfWork, row: ReceiptReading, customer_id: int, since: datetime, now: datetime) -> Ticket:
    ticket = uow.session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.created_at >= since, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    ).first()
    if ticket is not None:
        return ticket
    order = (
        uow.session.scalars(select(Order).where(Order.number == row.order_number)).first() if row.order_number else None
    )
    ticket = Ticket(
        customer_id=customer_id,
        conversation_id=conversation_for_sender(uow, row.sender_id, now),
        order_id=order.id if order is not None and order.customer_id == customer_id else None,
        subject="Payment problem (receipt sent)",
        description=f"Receipt: order {row.order_number or '?'}, {row.receipt_date or '?'}, total {row.total or '?'} {row.currency or ''}".strip(),
        priority="normal",
        status=stages.INITIAL["ticket"],
        stage_entered_at=now,
        created_at=now,
    )
    uow.session.add(ticket)
    uow.session.flush()
    stages.record_stage(uow.session, "ticket", ticket.id, ticket.status, now, note="opened from a receipt photo")
    return ticket


def _view(row: ReceiptReading, number: str | None) -> ReadingView:
    return ReadingView(
        row.id,
        row.status,
        row.order_number,
        row.receipt_date,
        row.total,
        row.currency,
        row.merchant,
        row.process,
        row.process_id,
        number,
    )
