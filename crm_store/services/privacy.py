"""GDPR: everything about a customer as one document, and erasure that keeps the numbers.

`export_customer` gathers the profile, identities, conversations with their messages,
orders, tickets, returns, deals, feedback, handoffs, attachments and the audit trail.
`forget_customer` erases personal data in place: rows stay (so counts, intents,
stages, totals and ratings still add up in reports) but names, contact details,
free text, chat ids and files are gone; Rasa's tracker rows of those chats are
deleted. Both write an audit row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.engine import Engine

from crm_store.db import UnitOfWork
from crm_store.errors import UnknownCustomer
from crm_store.models import (
    Attachment,
    AuditEntry,
    ChannelIdentity,
    Conversation,
    ConversationEvent,
    ConversationLabel,
    ConversationNote,
    CustomerMerge,
    Deal,
    Feedback,
    FollowUp,
    Handoff,
    LinkCode,
    Message,
    Order,
    OrderItem,
    ReceiptReading,
    Refund,
    Return,
    Shipment,
    Ticket,
)
from crm_store.services import audit

ERASED = "[erased]"


@dataclass(frozen=True)
class ForgetReport:
    customer_id: int
    identities: int
    conversations: int
    messages: int
    attachments_deleted: int
    tracker_events_deleted: int


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs if c.key not in skip}


def export_customer(uow: UnitOfWork, customer_id: int, actor: str, now: datetime) -> dict[str, Any]:
    """Everything the CRM holds about one customer, as plain JSON-ready data."""
    with uow:
        s = uow.session
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        conversations = list(
            s.scalars(select(Conversation).where(Conversation.customer_id == customer_id).order_by(Conversation.id))
        )
        conv_ids = [c.id for c in conversations]
        orders = list(s.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.id)))
        document = {
            "exported_at": now.isoformat(),
            "customer": _row(customer),
            "identities": [
                _row(i) for i in s.scalars(select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id))
            ],
            "conversations": [
                {
                    **_row(c),
                    "messages": [
                        _row(m)
                        for m in s.scalars(
                            select(Message).where(Message.conversation_id == c.id).order_by(Message.sent_at, Message.id)
                        )
                    ],
                }
                for c in conversations
            ],
            "attachments": [
                _row(a) for a in s.scalars(select(Attachment).where(Attachment.conversation_id.in_(conv_ids)))
            ]
            if conv_ids
            else [],
            "handoffs": [_row(h) for h in s.scalars(select(Handoff).where(Handoff.conversation_id.in_(conv_ids)))]
            if conv_ids
            else [],
            "orders": [
                {**_row(o), "items": [_row(i) for i in s.scalars(select(OrderItem).where(OrderItem.order_id == o.id))]}
                for o in orders
            ],
            "tickets": [_row(t) for t in s.scalars(select(Ticket).where(Ticket.customer_id == customer_id))],
            "returns": [_row(r) for r in s.scalars(select(Return).where(Return.customer_id == customer_id))],
            "deals": [_row(d) for d in s.scalars(select(Deal).where(Deal.customer_id == customer_id))],
            "feedback": [_row(f) for f in s.scalars(select(Feedback).where(Feedback.customer_id == customer_id))],
            "receipt_readings": [
                _row(r) for r in s.scalars(select(ReceiptReading).where(ReceiptReading.customer_id == customer_id))
            ],
            "audit": [
                _row(a)
                for a in s.scalars(
                    select(AuditEntry).where(
                        AuditEntry.subject_type == "customer", AuditEntry.subject_id == customer_id
                    )
                )
            ],
        }
    audit.record(uow, actor, "export", "customer", customer_id, now)
    return document


def forget_customer(
    uow: UnitOfWork, customer_id: int, actor: str, now: datetime, var_path: Path, tracker_engine: Engine | None = None
) -> ForgetReport:
    """Erase the customer's personal data in the CRM, their files and Rasa's tracker rows."""
    with uow:
        s = uow.session
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        conversations = list(s.scalars(select(Conversation).where(Conversation.customer_id == customer_id)))
        conv_ids = [c.id for c in conversations]
        identities = list(s.scalars(select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)))
        sender_ids = sorted({c.sender_id for c in conversations} | {i.external_id for i in identities})

        customer.name, customer.email, customer.phone, customer.address = (
            f"forgotten customer {customer_id}",
            None,
            None,
            None,
        )
        for identity in identities:
            identity.external_id, identity.display_name = f"forgotten-{identity.id}", None
        for conversation in conversations:
            conversation.sender_id = f"forgotten-{conversation.id}"
        messages = 0
        deleted_files = 0
        if conv_ids:
            for message in s.scalars(select(Message).where(Message.conversation_id.in_(conv_ids))):
                # Direction, intent, confidence and time stay for the reports; what was said goes.
                message.text, message.entities, message.message_id = ERASED if message.text else None, None, None
                messages += 1
            for event in s.scalars(select(ConversationEvent).where(ConversationEvent.conversation_id.in_(conv_ids))):
                event.payload = None
            for attachment in s.scalars(select(Attachment).where(Attachment.conversation_id.in_(conv_ids))):
                deleted_files += _delete_file(var_path, attachment.path)
                attachment.path, attachment.file_name, attachment.ocr_text = ERASED, None, None
            for handoff in s.scalars(select(Handoff).where(Handoff.conversation_id.in_(conv_ids))):
                handoff.reason = None
        for order in s.scalars(select(Order).where(Order.customer_id == customer_id)):
            order.shipping_address = None
        for ticket in s.scalars(select(Ticket).where(Ticket.customer_id == customer_id)):
            ticket.subject, ticket.description = ERASED, None
        for ret in s.scalars(select(Return).where(Return.customer_id == customer_id)):
            ret.reason, ret.wanted = ERASED, None
        for deal in s.scalars(select(Deal).where(Deal.customer_id == customer_id)):
            deal.contact_name = deal.company = deal.email = deal.phone = None
        for feedback in s.scalars(select(Feedback).where(Feedback.customer_id == customer_id)):
            feedback.comment = None
        s.execute(delete(LinkCode).where(LinkCode.customer_id == customer_id))
        deleted_files += _forget_around(s, customer_id, conv_ids, var_path)
        uow.commit()
    tracker_rows = _forget_trackers(tracker_engine, sender_ids) if tracker_engine is not None else 0
    report = ForgetReport(customer_id, len(identities), len(conv_ids), messages, deleted_files, tracker_rows)
    audit.record(
        uow,
        actor,
        "forget",
        "customer",
        customer_id,
        now,
        {k: v for k, v in asdict(report).items() if k != "customer_id"},
    )
    return report


def _forget_around(s: Any, customer_id: int, conv_ids: list[int], var_path: Path) -> int:
    """The rest that can carry what a customer wrote or showed: receipt photos and their OCR text,
    agents' notes, messages we owed them, imported rows, refund reasons, a courier's note."""
    deleted = 0
    for reading in s.scalars(select(ReceiptReading).where(ReceiptReading.customer_id == customer_id)):
        deleted += _delete_file(var_path, reading.image_path)
        reading.image_path, reading.sender_id = ERASED, f"forgotten-{reading.id}"
        reading.ocr_text = reading.fields = reading.merchant = None
    if conv_ids:
        for note in s.scalars(select(ConversationNote).where(ConversationNote.conversation_id.in_(conv_ids))):
            note.text = ERASED
        # Agents' labels are free text about the person ("angry", "asked for the manager").
        s.execute(delete(ConversationLabel).where(ConversationLabel.conversation_id.in_(conv_ids)))
    for follow_up in s.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)):
        follow_up.text, follow_up.last_error = ERASED, None
    for merge in s.scalars(
        select(CustomerMerge).where(
            (CustomerMerge.kept_customer_id == customer_id) | (CustomerMerge.split_customer_id == customer_id)
        )
    ):
        merge.row, merge.changes = {}, {"fields": {}, "identity_ids": []}
    order_ids = list(s.scalars(select(Order.id).where(Order.customer_id == customer_id)))
    if order_ids:
        for refund in s.scalars(select(Refund).where(Refund.order_id.in_(order_ids))):
            refund.reason = ERASED
        for shipment in s.scalars(select(Shipment).where(Shipment.order_id.in_(order_ids))):
            shipment.proof_of_delivery = None
    return deleted


def _delete_file(var_path: Path, relative: str | None) -> int:
    if not relative or relative == ERASED:
        return 0
    target = (var_path / relative).resolve()
    if not target.is_relative_to(var_path.resolve()) or not target.is_file():
        return 0
    target.unlink()
    return 1


def _forget_trackers(engine: Engine, sender_ids: list[str]) -> int:
    """Delete Rasa's stored events of these chats (SQLTrackerStore's `events` table)."""
    if not sender_ids:
        return 0
    with engine.begin() as conn:
        if not inspect(conn).has_table("events"):
            return 0
        deleted = 0
        for sender in sender_ids:
            deleted += (
                conn.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender}).rowcount or 0
            )
        return deleted
