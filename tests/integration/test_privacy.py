"""GDPR export and forget, and the audit log, on SQLite and PostgreSQL; the CLI on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text

from crm_store.db import UnitOfWork, make_engine, migrate
from crm_store.ingestion.events import ingest
from crm_store.models import (
    Attachment,
    AuditEntry,
    ChannelIdentity,
    Conversation,
    Customer,
    Deal,
    Feedback,
    Message,
    Order,
    Ticket,
)
from crm_store.services import audit, privacy
from crm_store.settings import PROJECT_ROOT

NOW = datetime(2026, 3, 2, 10, 0, 0)
EMAIL, PHONE, SECRET = "gdpr.person@example.org", "+49 170 1112223", "my neighbour keeps the spare key"


def a_customer_with_everything(uow_factory, var_path) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A customer who chatted (a message with a photo), ordered, complained, bought wholesale and rated us."""
    sender = f"gdpr-{uuid.uuid4().hex[:10]}"
    ingest(
        uow_factory(),
        {
            "event": "user",
            "sender_id": sender,
            "timestamp": time.time(),
            "text": SECRET,
            "input_channel": "webchat",
            "metadata": {"display_name": "Gina Data"},
            "parse_data": {"intent": {"name": "complaint", "confidence": 0.9}},
        },
    )
    photo = var_path / "uploads" / "webchat" / sender / "p.png"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"png")
    uow = uow_factory()
    with uow:
        conversation = uow.session.scalars(select(Conversation).where(Conversation.sender_id == sender)).one()
        customer = uow.customers.get(conversation.customer_id)
        customer.email, customer.phone, customer.address = (
            f"{uuid.uuid4().hex[:6]}.{EMAIL}",
            PHONE,
            "Hauptstr. 1, Berlin",
        )
        message = uow.session.scalars(select(Message).where(Message.conversation_id == conversation.id)).one()
        uow.session.add(
            Attachment(
                conversation_id=conversation.id,
                message_id=message.id,
                kind="photo",
                file_name="p.png",
                path=photo.relative_to(var_path).as_posix(),
                ocr_text=f"Receipt {PHONE}",
                created_at=NOW,
            )
        )
        uow.session.add(
            Order(
                number=f"A-{uuid.uuid4().int % 90000 + 10000}",
                customer_id=customer.id,
                status="delivered",
                stage_entered_at=NOW,
                placed_at=NOW,
                total=Decimal("20.00"),
                shipping_address="Hauptstr. 1, Berlin",
            )
        )
        uow.session.add(
            Ticket(
                customer_id=customer.id,
                subject=SECRET,
                description=f"call {PHONE}",
                status="open",
                priority="normal",
                stage_entered_at=NOW,
                created_at=NOW,
            )
        )
        uow.session.add(
            Deal(
                customer_id=customer.id,
                title="wholesale",
                contact_name="Gina Data",
                email=customer.email,
                phone=PHONE,
                stage="new",
                stage_entered_at=NOW,
                created_at=NOW,
            )
        )
        uow.session.add(Feedback(customer_id=customer.id, rating=4, comment=SECRET, created_at=NOW))
        uow.commit()
        return customer.id, sender


def test_export_holds_everything_about_the_customer_and_is_audited(uow_factory, tmp_path):
    customer_id, sender = a_customer_with_everything(uow_factory, tmp_path)

    document = privacy.export_customer(uow_factory(), customer_id, "cli", NOW)

    text_of = json.dumps(document)
    assert document["customer"]["phone"] == PHONE and EMAIL in document["customer"]["email"]
    assert [i["external_id"] for i in document["identities"]] == [sender]
    assert document["conversations"][0]["messages"][0]["text"] == SECRET
    assert (
        len(document["orders"]) == len(document["tickets"]) == len(document["deals"]) == len(document["feedback"]) == 1
    )
    assert document["attachments"][0]["ocr_text"] == f"Receipt {PHONE}"
    assert "Hauptstr. 1" in text_of
    assert [(e.actor, e.action) for e in audit.entries_for(uow_factory(), "customer", customer_id)] == [
        ("cli", "export")
    ]


def test_forget_erases_personal_data_keeps_aggregates_and_is_recorded(uow_factory, tmp_path):
    customer_id, sender = a_customer_with_everything(uow_factory, tmp_path)
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"))
        conn.execute(
            text("INSERT INTO events (sender_id, data) VALUES (:s, :d), ('someone-else', 'hello')"),
            {"s": sender, "d": SECRET},
        )

    report = privacy.forget_customer(uow_factory(), customer_id, "cli", NOW, tmp_path, tracker)

    assert (
        report.identities,
        report.conversations,
        report.messages,
        report.attachments_deleted,
        report.tracker_events_deleted,
    ) == (1, 1, 1, 1, 1)
    document = privacy.export_customer(uow_factory(), customer_id, "cli", NOW + timedelta(minutes=1))
    dumped = json.dumps(document)
    for secret in (EMAIL, PHONE, SECRET, sender, "Gina Data", "Hauptstr"):
        assert secret not in dumped, secret
    with tracker.connect() as conn:
        assert conn.execute(text("SELECT sender_id FROM events")).scalars().all() == ["someone-else"]
    assert not list((tmp_path / "uploads" / "webchat" / sender).iterdir())
    uow = uow_factory()
    with uow:
        s = uow.session
        # The numbers reports use still add up: one conversation, one complaint message, one order, a 4-star rating.
        assert (
            s.scalar(select(func.count(Message.id)).join(Conversation).where(Conversation.customer_id == customer_id))
            == 1
        )
        assert (
            s.scalar(select(Message.intent).join(Conversation).where(Conversation.customer_id == customer_id))
            == "complaint"
        )
        assert s.scalar(select(func.sum(Order.total)).where(Order.customer_id == customer_id)) == Decimal("20.00")
        assert s.scalar(select(Feedback.rating).where(Feedback.customer_id == customer_id)) == 4
        assert s.scalar(select(Customer.name).where(Customer.id == customer_id)) == f"forgotten customer {customer_id}"
        assert s.scalar(select(func.count(ChannelIdentity.id)).where(ChannelIdentity.external_id == sender)) == 0
        forget = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "forget", AuditEntry.subject_id == customer_id)
        ).one()
        assert forget.actor == "cli" and forget.detail["messages"] == 1


def test_a_forgotten_chat_that_writes_again_is_a_new_customer(uow_factory, tmp_path):
    customer_id, sender = a_customer_with_everything(uow_factory, tmp_path)
    privacy.forget_customer(uow_factory(), customer_id, "cli", NOW, tmp_path)

    ingest(
        uow_factory(),
        {
            "event": "user",
            "sender_id": sender,
            "timestamp": time.time(),
            "text": "hello again",
            "input_channel": "webchat",
            "parse_data": {},
        },
    )

    uow = uow_factory()
    with uow:
        identity = uow.session.scalars(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).one()
        assert identity.customer_id != customer_id


def test_crmbot_customer_export_and_forget(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    migrate(engine)
    customer_id, _ = a_customer_with_everything(lambda: UnitOfWork(engine), tmp_path / "var")
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path / "var")}

    def crmbot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "customer", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    exported = crmbot("export", str(customer_id), "--out", str(tmp_path / "out.json"))
    forgotten = crmbot("forget", str(customer_id), "--yes")
    unknown = crmbot("export", "999999")

    assert exported.returncode == 0 and SECRET in (tmp_path / "out.json").read_text()
    assert forgotten.returncode == 0 and "forgotten" in forgotten.stdout
    assert SECRET not in json.dumps(privacy.export_customer(UnitOfWork(engine), customer_id, "test", NOW))
    assert unknown.returncode == 2 and unknown.stderr.strip() == "crmbot: There is no customer with id 999999."
    engine.dispose()


# Every table that can hold something about a customer, and what in it this test fills with
# their words; forget must leave none of them behind. A new table that points at a customer,
# a conversation or an order fails the first assertion until it is listed here (and erased).
PERSONAL_TABLES = {
    "customers": "name, email, phone, address",
    "channel_identities": "chat id, display name",
    "conversations": "chat id",
    "messages": "text",
    "conversation_events": "payload",
    "attachments": "file, OCR text",
    "handoffs": "reason",
    "orders": "shipping address",
    "tickets": "subject, description",
    "deals": "contact",
    "feedback": "comment",
    "link_codes": "chat id",
    "receipt_readings": "photo, OCR text, fields, chat id",
    "conversation_notes": "agent's note",
    "follow_ups": "text owed",
    "customer_merges": "imported row",
    "refunds": "reason",
    "shipments": "courier's note",
    "conversation_labels": "agent's label",
    # ids, numbers and system words only:
    "returns": "reason, what they want",
    "order_items": "",
    "payments": "",
    "flags": "",
    "segment_memberships": "",
    "segment_changes": "",
    "audit_log": "",
    "order_adjustments": "",
    "purchase_propensity": "",
}


def _tables_about_customers() -> set[str]:
    from crm_store.models import Base

    roots = {"customers", "conversations", "orders", "tickets", "returns", "payments"}
    found = set(roots)
    for table in Base.metadata.sorted_tables:
        if any(fk.column.table.name in roots for fk in table.foreign_keys) or "customer_id" in table.columns:
            found.add(table.name)
    return found | {"audit_log"}


def test_forget_cleans_every_table_that_holds_customer_data(uow_factory, tmp_path):
    from crm_store.models import (
        Base,
        ConversationLabel,
        ConversationNote,
        CustomerMerge,
        FollowUp,
        ReceiptReading,
        Refund,
        Return,
        Shipment,
    )

    assert _tables_about_customers() <= set(PERSONAL_TABLES), _tables_about_customers() - set(PERSONAL_TABLES)
    customer_id, sender = a_customer_with_everything(uow_factory, tmp_path)
    photo = tmp_path / "uploads" / "receipts" / f"{sender}.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"jpg")
    uow = uow_factory()
    with uow:
        s = uow.session
        conversation = s.scalars(select(Conversation).where(Conversation.customer_id == customer_id)).one()
        order = s.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        s.add(
            ReceiptReading(
                customer_id=customer_id,
                sender_id=sender,
                image_path=photo.relative_to(tmp_path).as_posix(),
                ocr_text=f"Gina Data\n{EMAIL}\nTOTAL 20.00",
                fields={"name": "Gina Data", "email": EMAIL},
                merchant="Gina Data's shop",
                status="read",
                created_at=NOW,
            )
        )
        s.add(
            ConversationNote(conversation_id=conversation.id, author="ana", text=f"she said: {SECRET}", created_at=NOW)
        )
        s.add(
            ConversationLabel(
                conversation_id=conversation.id, label="called Gina Data twice", added_by="ana", created_at=NOW
            )
        )
        s.add(
            FollowUp(
                source_key=uuid.uuid4().hex,
                kind="abandoned_form",
                customer_id=customer_id,
                conversation_id=conversation.id,
                text="Hi Gina Data, about your return",
                due_at=NOW,
                status="failed",
                attempts=1,
                last_error=f"no chat for {EMAIL}",
                created_at=NOW,
            )
        )
        s.add(
            CustomerMerge(
                import_run="r1",
                kept_customer_id=customer_id,
                source="customers.csv line 2",
                reason="same email",
                row={"name": "Gina Data", "email": EMAIL, "phone": PHONE},
                changes={"fields": {"phone": PHONE}},
                merged_at=NOW,
            )
        )
        s.add(
            Refund(
                order_id=order.id,
                amount=Decimal("5.00"),
                reason=SECRET,
                status="requested",
                stage_entered_at=NOW,
                created_at=NOW,
            )
        )
        s.add(
            Shipment(
                order_id=order.id,
                carrier="DHL",
                status="delivered",
                proof_of_delivery="signed by Gina Data",
                delivery_attempts=1,
            )
        )
        s.add(
            Return(
                number=f"R-{uuid.uuid4().int % 90000 + 10000}",
                customer_id=customer_id,
                order_id=order.id,
                item="lamp",
                reason=SECRET,
                wanted=f"refund, call {PHONE}",
                status="requested",
                stage_entered_at=NOW,
                created_at=NOW,
            )
        )
        uow.commit()

    privacy.forget_customer(uow_factory(), customer_id, "cli", NOW, tmp_path)

    left = {}
    with uow.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dumped = json.dumps([list(r) for r in conn.execute(table.select())], default=str)
            found = [w for w in (EMAIL, PHONE, SECRET, sender, "Gina Data", "Hauptstr") if w in dumped]
            if found:
                left[table.name] = found
    assert left == {}
    assert not photo.exists()
