"""Receipt readings: recorded, corrected, confirmed onto a return, ticket or order (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_store.models import Attachment, Conversation, Message, ReceiptReading, Return, Ticket
from crm_store.ocr.fields import ReceiptFields
from crm_store.services import receipts, returns
from tests.integration.test_skill_services import NOW, a_customer, an_order


def fields_for(number: str) -> ReceiptFields:
    return ReceiptFields(order_number=number, date="2026-02-20", total="49.90", currency="EUR", merchant="Shop")


def an_attachment(uow_factory, sender: str, path: str) -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        conv = Conversation(sender_id=sender, started_at=NOW, last_event_at=NOW, status="open")
        uow.session.add(conv)
        uow.session.flush()
        msg = Message(
            conversation_id=conv.id, event_key=uuid.uuid4().hex, direction="in", text="/send_photo", sent_at=NOW
        )
        uow.session.add(msg)
        uow.session.flush()
        att = Attachment(conversation_id=conv.id, message_id=msg.id, kind="photo", path=path, created_at=NOW)
        uow.session.add(att)
        uow.commit()
        return att.id


def test_confirmed_receipt_is_attached_to_the_return_with_image_and_text(uow_factory):
    customer = a_customer(uow_factory)
    number = an_order(uow_factory, customer, "delivered", ("Yoga Mat",))
    ret = returns.open_return(uow_factory(), customer, number, "yoga mat", "too thin", NOW)
    sender, path = f"s-{uuid.uuid4().hex}", f"uploads/webchat/x/{uuid.uuid4().hex}.png"
    attachment_id = an_attachment(uow_factory, sender, path)
    read = receipts.record_reading(
        uow_factory(), customer, sender, path, "ORDER ... TOTAL 49.90", fields_for(number), NOW
    )

    done = receipts.confirm_reading(uow_factory(), read.id, customer, "return", NOW - timedelta(hours=1), NOW)

    assert (done.process, done.process_number, done.status) == ("return", ret.number, "confirmed")
    uow = uow_factory()
    with uow:
        row = uow.session.get(ReceiptReading, read.id)
        assert (row.order_number, row.total, row.attachment_id) == (number, Decimal("49.90"), attachment_id)
        assert uow.session.get(Return, ret.id).receipt_attachment_id == attachment_id
        assert uow.session.get(Attachment, attachment_id).ocr_text == "ORDER ... TOTAL 49.90"


def test_corrected_field_is_kept_and_payment_receipt_opens_a_ticket(uow_factory):
    customer = a_customer(uow_factory)
    number = an_order(uow_factory, customer, "paid", ("Desk Lamp",))
    read = receipts.record_reading(
        uow_factory(), customer, "s-pay", "uploads/p.png", "text", fields_for("A-99999"), NOW
    )

    receipts.correct_reading(uow_factory(), read.id, customer, "order_number", number)
    done = receipts.confirm_reading(uow_factory(), read.id, customer, "payment", NOW - timedelta(hours=1), NOW)

    assert done.process == "ticket" and done.order_number == number
    uow = uow_factory()
    with uow:
        ticket = uow.session.get(Ticket, done.process_id)
        assert ticket.customer_id == customer and ticket.order_id is not None


def test_someone_elses_order_is_never_touched_and_a_reading_is_confirmed_once(uow_factory):
    owner, stranger = a_customer(uow_factory), a_customer(uow_factory)
    number = an_order(uow_factory, owner, "delivered", ("Bike Light",))
    read = receipts.record_reading(uow_factory(), stranger, "s-x", "uploads/q.png", "text", fields_for(number), NOW)

    done = receipts.confirm_reading(uow_factory(), read.id, stranger, None, NOW, NOW)

    assert (done.status, done.process) == ("confirmed", None)
    with pytest.raises(receipts.ReadingNotFound):
        receipts.confirm_reading(uow_factory(), read.id, stranger, None, NOW, NOW)
    uow = uow_factory()
    with uow:
        assert uow.session.scalars(select(ReceiptReading).where(ReceiptReading.process == "order")).all() == []


def test_a_reading_confirmed_before_its_photo_is_ingested_gets_the_photo_when_it_arrives(uow_factory):
    """Ingestion runs behind the chat: a quick "yes" can come before the photo's turn is in the CRM."""
    from crm_store.ingestion.events import ingest
    from tests.support.events import user_uttered

    customer = a_customer(uow_factory)
    number = an_order(uow_factory, customer, "delivered", ("Yoga Mat",))
    ret = returns.open_return(uow_factory(), customer, number, "yoga mat", "too thin", NOW)
    sender, path = f"s-{uuid.uuid4().hex}", f"uploads/telegram/{uuid.uuid4().hex}.jpg"
    read = receipts.record_reading(
        uow_factory(), customer, sender, path, "ORDER ... TOTAL 49.90", fields_for(number), NOW
    )
    receipts.confirm_reading(uow_factory(), read.id, customer, "return", NOW - timedelta(hours=1), NOW)

    photo = user_uttered(
        sender,
        "/send_photo",
        intent="send_photo",
        channel="telegram",
        metadata={"attachments": [{"kind": "photo", "mime_type": "image/jpeg", "size": 10, "path": path}]},
    )
    ingest(uow_factory(), photo)

    uow = uow_factory()
    with uow:
        attachment = uow.session.scalars(select(Attachment).where(Attachment.path == path)).one()
        assert uow.session.get(ReceiptReading, read.id).attachment_id == attachment.id
        assert uow.session.get(Return, ret.id).receipt_attachment_id == attachment.id
        assert attachment.ocr_text == "ORDER ... TOTAL 49.90"
