"""CRM tables. Business facts live here; dialogue state stays in Rasa's tracker store.

Processes (orders, tickets, returns, deals) keep their current stage on the row
(with stage_entered_at, for stalled checks) and every stage they entered in
stage_history, one table for all process kinds so analytics reads one place.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING))


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), unique=True)
    phone = Column(String(40))
    address = Column(Text)
    created_at = Column(DateTime, nullable=False)
    identities = relationship("ChannelIdentity", back_populates="customer")


class ChannelIdentity(Base):
    """Who a customer is on one channel: (channel, external id) maps to one customer."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    external_id = Column(String(200), nullable=False)
    display_name = Column(String(200))
    created_at = Column(DateTime, nullable=False)
    customer = relationship("Customer", back_populates="identities")


class Conversation(Base):
    """One Rasa session of one sender; opened by session_started or the first message."""

    __tablename__ = "conversations"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40))
    customer_id = Column(ForeignKey("customers.id"), index=True)
    identity_id = Column(ForeignKey("channel_identities.id"))
    opened_by_event = Column(String(64), unique=True)
    started_at = Column(DateTime, nullable=False)
    last_event_at = Column(DateTime, nullable=False)
    paused = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default="open")


class Message(Base):
    __tablename__ = "messages"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    # sha256 of the canonical event JSON: a redelivered event maps to the same key.
    event_key = Column(String(64), nullable=False, unique=True)
    direction = Column(String(3), nullable=False)  # "in" from the customer, "out" to them
    text = Column(Text)
    intent = Column(String(100))
    confidence = Column(Float)
    entities = Column(JSON)
    action = Column(String(100))
    buttons = Column(JSON)
    message_id = Column(String(100))
    sent_at = Column(DateTime, nullable=False, index=True)


class ConversationEvent(Base):
    """Every non-message tracker event (actions, slots, forms, pauses) for analytics."""

    __tablename__ = "conversation_events"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    event_key = Column(String(64), nullable=False, unique=True)
    kind = Column(String(40), nullable=False)
    name = Column(String(100))
    payload = Column(JSON)
    occurred_at = Column(DateTime, nullable=False)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("message_id", "path", name="uq_attachment_message_path"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    message_id = Column(ForeignKey("messages.id"), nullable=False)
    kind = Column(String(20), nullable=False)
    file_name = Column(String(255))
    mime_type = Column(String(100))
    size = Column(Integer)
    path = Column(String(500), nullable=False)
    ocr_text = Column(Text)
    created_at = Column(DateTime, nullable=False)


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    sku = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False, index=True)
    category = Column(String(100))
    description = Column(Text)
    price = Column(Numeric(10, 2), nullable=False)
    stock = Column(Integer, nullable=False, default=0)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # "A-10423"
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    placed_at = Column(DateTime, nullable=False)
    total = Column(Numeric(10, 2), nullable=False)
    shipping_address = Column(Text)
    tracking_code = Column(String(60))
    items = relationship("OrderItem", back_populates="order")


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Numeric(10, 2), nullable=False)
    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class StageHistory(Base):
    """Every stage a process entered: process is order | ticket | return | deal."""

    __tablename__ = "stage_history"
    __table_args__ = (Index("ix_stage_history_process", "process", "process_id"),)
    id = Column(Integer, primary_key=True)
    process = Column(String(20), nullable=False)
    process_id = Column(Integer, nullable=False)
    stage = Column(String(30), nullable=False)
    entered_at = Column(DateTime, nullable=False)
    note = Column(Text)


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"))
    order_id = Column(ForeignKey("orders.id"))
    subject = Column(String(200), nullable=False)
    description = Column(Text)
    priority = Column(String(10), nullable=False, default="normal")
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False)


class Return(Base):
    __tablename__ = "returns"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # "R-00001"
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False)
    item = Column(String(200), nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    refund_amount = Column(Numeric(10, 2))
    receipt_attachment_id = Column(ForeignKey("attachments.id"))
    created_at = Column(DateTime, nullable=False)


class Deal(Base):
    __tablename__ = "deals"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    title = Column(String(200), nullable=False)
    contact_name = Column(String(200))
    company = Column(String(200))
    email = Column(String(320))
    phone = Column(String(40))
    volume = Column(String(100))
    value = Column(Numeric(12, 2))
    stage = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False)


class Handoff(Base):
    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    reason = Column(String(200))
    status = Column(String(20), nullable=False)  # queued | claimed | resolved | returned
    agent = Column(String(100))
    requested_at = Column(DateTime, nullable=False)
    claimed_at = Column(DateTime)
    closed_at = Column(DateTime)


class Segment(Base):
    __tablename__ = "segments"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    description = Column(Text)
    created_at = Column(DateTime, nullable=False)


class SegmentMembership(Base):
    __tablename__ = "segment_memberships"
    __table_args__ = (UniqueConstraint("segment_id", "customer_id", name="uq_membership_segment_customer"),)
    id = Column(Integer, primary_key=True)
    segment_id = Column(ForeignKey("segments.id"), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    score = Column(Float)
    assigned_at = Column(DateTime, nullable=False)


class Flag(Base):
    """A raised concern about a process (e.g. stalled); cleared_at closes it."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_process", "process", "process_id"),)
    id = Column(Integer, primary_key=True)
    process = Column(String(20), nullable=False)
    process_id = Column(Integer, nullable=False)
    kind = Column(String(40), nullable=False)
    reason = Column(Text)
    raised_at = Column(DateTime, nullable=False)
    cleared_at = Column(DateTime)


class DigestSent(Base):
    __tablename__ = "digests_sent"
    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    recipients = Column(Text, nullable=False)
    subject = Column(String(300), nullable=False)
    period_start = Column(DateTime)
    period_end = Column(DateTime)
    sent_at = Column(DateTime, nullable=False)


class Feedback(Base):
    """A customer's rating (1-5) and comment, given in chat."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"))
    rating = Column(Integer, nullable=False)
    comment = Column(Text)
    created_at = Column(DateTime, nullable=False)


# --- issue 8: one-time codes and the audit log ---


class LinkCode(Base):
    """A one-time code sent to a customer's email to prove a chat is theirs.

    Every request leaves a row, matched or not (customer_id is then NULL and no code
    exists), so requests are rate-limited per chat and per customer alike. The code
    itself is stored only as an argon2 hash. purpose: link | reauth | forget.
    """

    __tablename__ = "link_codes"
    __table_args__ = (Index("ix_link_codes_chat", "channel", "external_id"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(40), nullable=False)
    external_id = Column(String(200), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    purpose = Column(String(10), nullable=False)
    order_number = Column(String(20))
    code_hash = Column(String(200))
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class AuditEntry(Base):
    """Who saw or changed what: one row per access to or change of personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    actor = Column(String(100), nullable=False)  # "agent:ana", "cli", "customer:12", "system"
    action = Column(String(40), nullable=False)  # "view", "export", "forget", "link", ...
    subject_type = Column(String(40), nullable=False)  # "customer", "conversation", ...
    subject_id = Column(Integer)
    detail = Column(JSON)


def utc_from_timestamp(ts: float) -> datetime:
    """Naive UTC datetime from a Rasa event timestamp (all CRM times are naive UTC)."""
    return datetime.utcfromtimestamp(ts)
